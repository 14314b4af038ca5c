"""The thin recruiter console: one static page on the public APIs, served with a small reverse proxy."""
