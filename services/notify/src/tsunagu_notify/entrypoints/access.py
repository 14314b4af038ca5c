"""Who may act on a recipient: the person herself or an admin; anyone else sees 404 (no existence leak)."""

from tsunagu_shared.auth import Principal

from tsunagu_notify.domain.errors import RecipientNotVisible


def herself_or_admin(principal: Principal, recipient_id: str) -> None:
    if not (principal.role == "admin" or (principal.role == "candidate" and principal.subject == recipient_id)):
        raise RecipientNotVisible(recipient_id)
