"""Profile service: students own their profile; participating recruiters find them."""
