"""What notify enforces for her, per channel: the view of her consent and opt-outs.

The consent record itself is profile's (GET /profiles/{id}/contact-preferences); notify applies an
opt-out at once (STOP, the unsubscribe link, a LINE unfollow, a hard bounce) and reports it to
profile, and follows profile's record otherwise (docs/notify.md, "Consent"). This view shows both
agree; it trails her partition's owner by the projector's lag."""

from fastapi import APIRouter
from tsunagu_shared.auth import CurrentPrincipal

from tsunagu_notify.entrypoints.access import herself_or_admin
from tsunagu_notify.entrypoints.container import ContainerDep
from tsunagu_notify.entrypoints.schemas import ChannelPublic

router = APIRouter(tags=["notify"])


@router.get("/recipients/{recipient_id}/channels", response_model=list[ChannelPublic])
async def channels_of(recipient_id: str, principal: CurrentPrincipal, container: ContainerDep):
    """Her channels as notify enforces them (the person herself or an admin; anyone else 404)."""
    herself_or_admin(principal, recipient_id)
    state = (await container.store.load(recipient_id)).state
    return [ChannelPublic(channel=name, reachable=c.usable, has_address=bool(c.address),
                          consented_at=c.consented_at, consent_source=c.consent_source,
                          opted_out_at=c.opted_out_at, opt_out_source=c.opt_out_source)
            for name in ("email", "sms", "line") for c in (state.channel(name),)]
