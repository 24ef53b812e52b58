"""The volunteer registry (อาสาสมัครแรงงาน): applications, approval, training, pledges.

`identity` validates and normalises personal data, `model` holds the entity and its state
machine, `errors` and `ports` (the repository protocol) beside them, `use_cases` the
operations the API calls.
"""
