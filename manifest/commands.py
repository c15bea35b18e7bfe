"""The command menus Teams shows for each scope: customers in personal chat, technicians in their team."""

from __future__ import annotations

# (command as typed, English description). Each must be understood by the bot (a test checks it).
PERSONAL = [
    ("help", "Support hours, contact and pricing"),
    ("new ticket", "Open a support ticket"),
    ("my tickets", "List your tickets"),
    ("ticket T-1001", "Show one of your tickets"),
    ("service status", "Microsoft 365 status of your organisation"),
    ("my report", "Your support figures as charts"),
]
TEAM = [
    ("triage here", "Make this channel the triage channel"),
    ("queue", "Open tickets by SLA due"),
    ("queue mine", "Your open tickets"),
    ("ticket T-1001", "A ticket's card and history"),
    ("search", "Find tickets by words"),
    ("health all", "Service health across all customers"),
    ("health", "Service health of one customer"),
    ("incidents", "Open incidents of one customer"),
    ("report month", "Support report: SLA, CSAT, backlog"),
    ("help", "What the desk can do"),
]
# The Russian menu (manifest localization file), same commands in the same order.
RUSSIAN = {
    "help": "Часы поддержки, контакты и цены",
    "new ticket": "Открыть заявку в поддержку",
    "my tickets": "Ваши заявки",
    "ticket T-1001": "Показать заявку",
    "service status": "Состояние Microsoft 365 в вашей организации",
    "triage here": "Сделать этот канал каналом заявок",
    "queue": "Открытые заявки по сроку SLA",
    "queue mine": "Ваши открытые заявки",
    "search": "Поиск заявок по словам",
    "health all": "Состояние служб у всех клиентов",
    "health": "Состояние служб одного клиента",
    "incidents": "Открытые инциденты клиента",
    "my report": "Показатели поддержки в графиках",
    "report month": "Отчёт: SLA, оценки, очередь",
}
RUSSIAN_TEAM_HELP = "Что умеет служба поддержки"
