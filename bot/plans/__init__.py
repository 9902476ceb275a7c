"""Instalment plans: the product table, quotes with exact cost, eligibility, acceptance."""
