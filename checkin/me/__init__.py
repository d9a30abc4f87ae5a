"""The assistant's own pages: /me, leave requests, summaries, peer review, applying, directory."""
