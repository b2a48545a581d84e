"""/usage for everyone, and /quota set|clear|show|reset|top|cost for moderators: thin Discord adapters."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.periods import PERIODS, Period
from bot.discord_ui.members import member_of, named_member
from bot.discord_ui.moderation_render import (
    cost_log,
    cost_reply,
    explanation_text,
    limit_change_log,
    limit_change_reply,
    policies_text,
    reset_log,
    reset_reply,
    top_text,
    usage_text,
)
from bot.discord_ui.moderators import ModeratorGroup, reply
from bot.discord_ui.money_render import with_spend
from bot.discord_ui.services import Services, services_of
from bot.quotas.moderation import Target

NOT_ALLOWED = "Only members with Manage Server can change quotas."
PERIOD_CHOICES = [app_commands.Choice(name=p.capitalize(), value=p) for p in PERIODS]
MAX_UNITS = 100_000
MAX_AT_ONCE = 20
MAX_COST = 1_000

Who = discord.Member | discord.User | discord.Role


def target_of(guild: discord.Guild, who: Who | None) -> Target:
    """The server default when no one (or @everyone) is named, else the role or the member."""
    if who is None or (isinstance(who, discord.Role) and who.is_default()):
        return Target("guild", guild.id)
    return Target("role", who.id) if isinstance(who, discord.Role) else Target("user", who.id)


class QuotaCog(commands.Cog, name="Quotas"):
    """Who may generate how much."""

    def __init__(self, bot: commands.Bot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.usage_command = self._build_usage()
        self.quota_group = self._build_quota_group()

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.usage_command)
        self.bot.tree.add_command(self.quota_group)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.usage_command.name)
        self.bot.tree.remove_command(self.quota_group.name)

    def _build_usage(self) -> app_commands.Command[Any, ..., None]:
        @app_commands.command(name="usage", description="How many videos you have used, and when your quota resets")
        @app_commands.guild_only()
        async def usage(interaction: discord.Interaction) -> None:
            assert interaction.guild is not None
            member = member_of(interaction.user, interaction.permissions)
            report = await self.services.quotas.usage(interaction.guild.id, member)
            await reply(interaction, usage_text(interaction.guild.name, report))

        return usage

    def _build_quota_group(self) -> ModeratorGroup:
        # Built per bot because the model choices of /quota cost come from its configuration.
        group = ModeratorGroup(name="quota", description="Limits on who may make how many videos", refusal=NOT_ALLOWED)
        moderation, modlog = self.services.moderation, self.services.modlog
        provider = self.services.settings.provider
        models = [app_commands.Choice(name=provider.model(m).label, value=m) for m in self.services.settings.models]

        @group.command(name="set", description="Set the limit of the server, a role or a member")
        @app_commands.describe(
            units="Units per period (a video costs 1 unless its model costs more); 0 blocks",
            period="Day, week or month (calendar, UTC); default: keep the current one",
            who="A role or a member; leave empty (or pick @everyone) for the server default",
            at_once="How many videos they may have generating at once",
        )
        @app_commands.choices(period=PERIOD_CHOICES)
        async def set_(
            interaction: discord.Interaction,
            units: app_commands.Range[int, 0, MAX_UNITS],
            period: str | None = None,
            who: Who | None = None,
            at_once: app_commands.Range[int, 1, MAX_AT_ONCE] | None = None,
        ) -> None:
            assert interaction.guild is not None
            change = await moderation.set_limit(
                interaction.guild.id, interaction.user.id, target_of(interaction.guild, who),
                units=units, period=_period(period), at_once=at_once,
            )
            await reply(interaction, limit_change_reply(change))
            if change.changed:
                modlog.change(interaction.guild.id, limit_change_log(interaction.user.id, change))

        @group.command(name="clear", description="Remove the limit of the server, a role or a member")
        @app_commands.describe(who="A role or a member; leave empty for the server default")
        async def clear(interaction: discord.Interaction, who: Who | None = None) -> None:
            assert interaction.guild is not None
            change = await moderation.clear_limit(
                interaction.guild.id, interaction.user.id, target_of(interaction.guild, who)
            )
            await reply(interaction, limit_change_reply(change))
            modlog.change(interaction.guild.id, limit_change_log(interaction.user.id, change))

        @group.command(name="show", description="A member's effective limit and why; without one, every limit set")
        @app_commands.describe(member="Whose limit to explain")
        async def show(interaction: discord.Interaction, member: discord.Member | None = None) -> None:
            assert interaction.guild is not None
            if member is None:
                policies = await moderation.policies(interaction.guild.id)
                await reply(interaction, policies_text(policies, moderation.bot_default))
                return
            explanation = await moderation.explain(interaction.guild.id, named_member(member))
            await reply(interaction, explanation_text(explanation))

        @group.command(name="reset", description="Let a member's usage this period stop counting")
        @app_commands.describe(member="Whose usage to reset")
        async def reset(interaction: discord.Interaction, member: discord.Member) -> None:
            assert interaction.guild is not None
            done = await moderation.reset_usage(interaction.guild.id, interaction.user.id, named_member(member))
            await reply(interaction, reset_reply(done))
            if done.before:
                modlog.change(interaction.guild.id, reset_log(interaction.user.id, done))

        @group.command(name="top", description="This period's top members and the server's total units")
        @app_commands.describe(period="Which period; default: the server default's")
        @app_commands.choices(period=PERIOD_CHOICES)
        async def top(interaction: discord.Interaction, period: str | None = None) -> None:
            assert interaction.guild is not None
            board = await moderation.top(interaction.guild.id, _period(period))
            spending = self.services.spending  # money beside the units: what the period cost, and whose videos
            spent = await spending.of_server(interaction.guild.id, board.since)
            members = await spending.of_members(interaction.guild.id, board.since, [r.user_id for r in board.top])
            await reply(interaction, with_spend(top_text(board), members, spent, board.period))

        @group.command(name="cost", description="Set how many units one video with a model costs")
        @app_commands.describe(model="Which model", units="Units per video (default 1)")
        @app_commands.choices(model=models)
        async def cost(
            interaction: discord.Interaction, model: str, units: app_commands.Range[int, 0, MAX_COST]
        ) -> None:
            assert interaction.guild is not None
            change = await moderation.set_cost(interaction.guild.id, interaction.user.id, model, units)
            await reply(interaction, cost_reply(change))
            if change.changed:
                modlog.change(interaction.guild.id, cost_log(interaction.user.id, change))

        return group


def _period(value: str | None) -> Period | None:
    # The choices guarantee one of PERIODS; anything else means "not given".
    return next((p for p in PERIODS if p == value), None)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(QuotaCog(bot, services_of(bot)))
