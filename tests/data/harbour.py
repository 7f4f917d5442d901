"""Fictional article texts: the same three words spread over a chunk, or together in one sentence."""

SPREAD = (
    "The harbour crane was repaired in spring. The harbour office collapsed into debt years ago. "
    "A second crane arrived."
)
FOCUSED = (
    "Shipping resumed on Tuesday after a week of storms. Officials said the harbour crane collapsed overnight. "
    "Ferries ran on time. The market reopened. Fishing boats returned to the quay. Tourists came back to the old "
    "town. Hotels were full."
)
FILLER = ["Orchard frost hit the valley.", "The council approved the school budget.", "Rain is expected."]
