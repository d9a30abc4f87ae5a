"""The door (SPEC §4): scan → login → one button, the kiosk tablet, posters and their tokens."""
