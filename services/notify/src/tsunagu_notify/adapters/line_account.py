"""LINE account APIs beside push (line-bot-sdk v3 MessagingApi): link tokens and rich menus."""

from typing import Protocol

from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    MessageAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)
from linebot.v3.messaging.exceptions import ApiException
from tsunagu_shared.kafka.consumer import PermanentError, TransientError

# What each member status's menu offers (labels sent as messages; postbacks are a later step).
MENU_ITEMS = {
    "registered": ["プロフィール", "おすすめ企業", "連絡設定"],
    "scouted": ["スカウト一覧", "おすすめ企業", "連絡設定"],
    "interviewing": ["面接予定", "メッセージ", "連絡設定"],
    "offer_holder": ["内定の確認", "相談する", "連絡設定"],
}


class LineAccountApi(Protocol):
    async def issue_link_token(self, line_user_id: str) -> str: ...
    async def create_menu(self, status: str) -> str: ...
    async def show_menu(self, line_user_id: str, rich_menu_id: str) -> None: ...
    async def remove_menu(self, line_user_id: str) -> None: ...
    async def close(self) -> None: ...


class LineAccountClient:
    def __init__(self, *, base_url: str, access_token: str) -> None:
        self._client = AsyncApiClient(Configuration(host=base_url.rstrip("/"), access_token=access_token))
        self._api = AsyncMessagingApi(self._client)

    async def issue_link_token(self, line_user_id: str) -> str:
        return (await self._call(self._api.issue_link_token(line_user_id))).link_token

    async def create_menu(self, status: str) -> str:
        labels = MENU_ITEMS[status]
        width = 2500 // len(labels)
        areas = [RichMenuArea(bounds=RichMenuBounds(x=i * width, y=0, width=width, height=843),
                              action=MessageAction(label=label, text=label)) for i, label in enumerate(labels)]
        request = RichMenuRequest(size=RichMenuSize(width=2500, height=843), selected=True, name=f"tsunagu-{status}",
                                  chat_bar_text="メニュー", areas=areas)
        return (await self._call(self._api.create_rich_menu(request))).rich_menu_id

    async def show_menu(self, line_user_id: str, rich_menu_id: str) -> None:
        await self._call(self._api.link_rich_menu_id_to_user(line_user_id, rich_menu_id))

    async def remove_menu(self, line_user_id: str) -> None:
        await self._call(self._api.unlink_rich_menu_id_from_user(line_user_id))

    async def _call(self, awaitable):
        try:
            return await awaitable
        except ApiException as exc:
            if exc.status == 429 or (exc.status or 500) >= 500:
                raise TransientError(f"line {exc.status}") from exc
            raise PermanentError(f"line {exc.status}: {exc.body}") from exc
        except OSError as exc:
            raise TransientError(f"line unavailable: {exc}") from exc

    async def close(self) -> None:
        await self._client.close()
