"""Tips: intake, anonymous follow-up, triage within legal deadlines, recusal routing."""
