from tests.support.activities import Chat


async def test_flow(desk, customer_chat: Chat, triage_channel, technician):
    status, body = await desk.send(triage_channel.message(technician, "triage here"))
    assert status == 201, body
    status, body = await desk.send(customer_chat.message("new ticket Mail is down"))
    assert status == 201, body
    form = desk.connector.posts(customer_chat.conversation_id)[-1].cards[0]
    submit = next(a for a in form["actions"] if a["verb"] == "ticket.submit")
    inputs = {
        "product": "microsoft365",
        "service": "Exchange Online",
        "severity": "critical",
        "title": "Mail is down",
        "description": "Nobody can send mail since 9:00",
        "contact": "megan@x",
    }
    status, body = await desk.send(customer_chat.invoke("ticket.submit", submit["data"]["id"], inputs))
    print(status, body)
    await desk.delivered()
    for s in desk.connector.sent:
        print(s.method, s.path, s.text[:80], [c["body"][0].get("text") for c in s.cards])
    assert 0
