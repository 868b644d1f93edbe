"""What comes back: bounces, complaints and events, by email and by webhook."""
