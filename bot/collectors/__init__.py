"""Human collectors and supervisors: accounts, passwords, console sessions."""
