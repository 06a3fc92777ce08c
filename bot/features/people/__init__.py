"""The trainers' list of participants and one participant's card."""
