"""Who may act on a recipient: the person herself or an admin; anyone else sees 404 (no existence leak)."""

from fastapi import HTTPException, status
from tsunagu_shared.auth import Principal


def herself_or_admin(principal: Principal, recipient_id: str) -> None:
    if not (principal.role == "admin" or (principal.role == "candidate" and principal.subject == recipient_id)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such recipient")
