"""`python -m tsunagu_tools.demo`: play the demo story against the running stack."""

from tsunagu_tools.demo import run

if __name__ == "__main__":
    run()
