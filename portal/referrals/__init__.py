"""Mutual Care and Support: referrals of workers in crisis (see services.py)."""
