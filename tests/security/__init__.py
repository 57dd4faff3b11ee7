"""Security and reliability: one test per item of the security review (issue 23)."""
