"""The baseline of the profile benchmark: a bare FastAPI app that reads the same profile
documents from the same database with the same driver (pymongo's AsyncMongoClient), with no
auth, no service layer and no model validation. Run: uvicorn bare_profile_app:app."""

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from pymongo import AsyncMongoClient

state: dict = {}


@asynccontextmanager
async def lifespan(_: FastAPI):
    state["client"] = AsyncMongoClient(os.environ["BENCH_MONGO_URL"], tz_aware=True)
    state["profiles"] = state["client"][os.environ["BENCH_MONGO_DB"]]["profiles"]
    yield
    await state["client"].close()


app = FastAPI(lifespan=lifespan)


@app.get("/profiles/{candidate_id}")
async def read(candidate_id: str) -> dict:
    document = await state["profiles"].find_one({"_id": candidate_id}, {"_outbox": 0})
    if document is None:
        raise HTTPException(404)
    return document

