"""The profile side, in the order a profile flows: base -> golden copy -> worker clone -> cleanup."""
