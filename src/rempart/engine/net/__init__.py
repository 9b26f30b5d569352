"""Protocol clients the checks speak (raw TLS, SMB, SMTP, HTTP)."""
