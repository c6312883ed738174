"""The VTEX side, shared by every connector."""
