"""The playground's server on the stand-in Discord: its people, roles and channels.

Two people can be played from the page: Maya, a member, and Mo, a moderator (Manage Server through the
Moderator role). Sam is a second member to set limits on; Olivia owns the server. #mod-log is visible to
moderators only, so switching person shows what members cannot see.
"""

from __future__ import annotations

import dataclasses

import discord

from fakediscord import Channel, FakeDiscord, Guild, Role, User

SERVER_NAME = "Videobot Playground"


@dataclasses.dataclass(frozen=True)
class Identity:
    """A person the page can act as."""

    user: User
    label: str  # what the switch calls them: "member" or "moderator"


@dataclasses.dataclass(frozen=True)
class PlaygroundWorld:
    """Everything built on the stand-in before the bot connects."""

    guild: Guild
    owner: User
    member: User
    moderator: User
    other_member: User
    moderator_role: Role
    supporter_role: Role
    video_lab: Channel
    general: Channel
    mod_log: Channel

    @property
    def identities(self) -> list[Identity]:
        """Who the page lets you be, the member first."""
        return [Identity(self.member, "member"), Identity(self.moderator, "moderator")]

    def identity(self, user_id: int) -> Identity | None:
        """The playable person with this id, if any."""
        return next((i for i in self.identities if i.user.id == user_id), None)


def build_world(fake: FakeDiscord, *, boost_tier: int = 0) -> PlaygroundWorld:
    """Create the server, its roles, people and channels (before the bot connects, so GUILD_CREATE has them).
    The boost tier sets the server's upload limit, which its interactions report to the bot (20 MiB at 0)."""
    owner = fake.create_user("olivia", global_name="Olivia")
    guild = fake.create_guild(SERVER_NAME, owner=owner, premium_tier=boost_tier)
    moderator_role = guild.create_role("Moderator", discord.Permissions(manage_guild=True), color=0xE67E22)
    supporter_role = guild.create_role("Supporter", 0, mentionable=True, color=0x1ABC9C)
    member = fake.create_user("maya", global_name="Maya")
    guild.add_member(member)
    moderator = fake.create_user("mo", global_name="Mo")
    guild.add_member(moderator, roles=[moderator_role])
    other = fake.create_user("sam", global_name="Sam")
    guild.add_member(other, roles=[supporter_role])
    video_lab = guild.create_text_channel("video-lab", topic="Type /video and describe a video")
    general = guild.create_text_channel("general", topic="Chat; /video works here too until moderators say otherwise")
    hidden = discord.PermissionOverwrite(view_channel=False)
    mod_log = guild.create_text_channel(
        "mod-log",
        topic="Moderators only: point /videobot settings mod_log_channel here",
        overwrites={
            guild.everyone: hidden,
            moderator_role: discord.PermissionOverwrite(view_channel=True),
            guild.bot_role: discord.PermissionOverwrite(view_channel=True),
        },
    )
    return PlaygroundWorld(
        guild=guild,
        owner=owner,
        member=member,
        moderator=moderator,
        other_member=other,
        moderator_role=moderator_role,
        supporter_role=supporter_role,
        video_lab=video_lab,
        general=general,
        mod_log=mod_log,
    )
