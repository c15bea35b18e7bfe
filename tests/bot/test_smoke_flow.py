"""A first end-to-end check; the full flow tests live in test_customer_flow.py."""

from tests.support.activities import Chat


async def test_help_card_reaches_the_customer(desk, customer_chat: Chat):
    status, _ = await desk.send(customer_chat.message("help"))
    assert status == 201
    posts = desk.connector.posts(customer_chat.conversation_id)
    assert posts[-1].cards[0]["body"][0]["text"] == "Contoso Cloud Services support"
