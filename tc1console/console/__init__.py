"""The Textual operations console: live panels over a root's runtime/ and configs/ (`tc1 console`)."""
