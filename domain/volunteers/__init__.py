"""The volunteer registry (อาสาสมัครแรงงาน): applications, approval, training, pledges.

`identity` validates and normalises personal data, `model` holds the entity and its state
machine, `usecases` the operations the API calls.
"""
