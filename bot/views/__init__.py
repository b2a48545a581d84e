"""The read side: what the Discord side shows people, assembled from the store in one place per view, apart
from the use cases that change things. A view reads a server's settings once per request and passes them down,
and returns plain data that a pure render in bot/discord_ui turns into text."""
