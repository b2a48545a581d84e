"""The facts quota rules need about a Discord member, taken from what Discord says about them."""

from __future__ import annotations

import discord

from bot.quotas.policy import Member


def member_of(user: discord.Member | discord.User, permissions: discord.Permissions) -> Member:
    """Whoever acted, with the permissions Discord resolved for them where they acted."""
    roles = frozenset(role.id for role in getattr(user, "roles", ()))
    return Member(user_id=user.id, role_ids=roles, is_moderator=permissions.manage_guild)


def named_member(member: discord.Member) -> Member:
    """A member named in a command option (Discord resolves their permissions in that channel)."""
    return member_of(member, member.resolved_permissions or member.guild_permissions)
