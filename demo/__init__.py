"""The bundled demo: a local login site, a logged-in base profile made with it, and a suite that uses both."""
