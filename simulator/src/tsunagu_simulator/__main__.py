from tsunagu_simulator.cli import app

app()
