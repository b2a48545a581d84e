"""/videobot settings for moderators: where videos may be made, defaults, exemptions, the moderator log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.catalog import MODELS
from bot.core.errors import BotError
from bot.discord_ui.moderation_render import settings_change_log, settings_change_reply, settings_text
from bot.discord_ui.moderators import ModeratorGroup, reply

if TYPE_CHECKING:
    from bot.app import VideoBot

NOT_ALLOWED = "Only members with Manage Server can change the bot's settings."
MAX_COOLDOWN = 86_400
MAX_AT_ONCE_PER_MEMBER = 20
MAX_AT_ONCE_PER_SERVER = 100


def check_log_channel(guild: discord.Guild, channel_id: int) -> None:
    """Refuse a moderator-log channel the bot could not post in, naming what is missing."""
    channel, me = guild.get_channel(channel_id), guild.me
    if channel is None or me is None:
        return  # not in the cache: trust the moderator; a failed post is logged
    permissions = channel.permissions_for(me)
    missing = [name for name, ok in (("View Channel", permissions.view_channel),
                                     ("Send Messages", permissions.send_messages)) if not ok]
    if missing:
        listed = " and ".join(f"**{name}**" for name in missing)
        raise BotError(f"I can't post in <#{channel_id}>: I'm missing {listed} there. Grant it, then try again.")


class SettingsCog(commands.Cog, name="Settings"):
    """The server's choices, changed inside Discord."""

    def __init__(self, bot: VideoBot) -> None:
        self.bot = bot
        self.group = self._build_group()

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.group)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.group.name)

    def _build_group(self) -> ModeratorGroup:
        # Built per bot because the default-model choices come from its configuration.
        group = ModeratorGroup(name="videobot", description="The video bot's settings in this server",
                               refusal=NOT_ALLOWED)
        models = [app_commands.Choice(name=MODELS[m].label, value=m) for m in self.bot.settings.models]

        @group.command(name="settings", description="Show the settings, or change the ones you give")
        @app_commands.describe(
            allow_channel="Allow /video in this channel (once any is allowed, only those are)",
            disallow_channel="Stop allowing /video in this channel",
            default_model="The model used when a member picks none",
            plain_messages_remix="Whether any message in a video thread remixes (needs the Message Content intent)",
            moderators_exempt="Whether members with Manage Server are exempt from quotas",
            mod_log_channel="Post every video and every quota or settings change in this channel",
            mod_log_off="Stop posting to the moderator log",
            cooldown_seconds="Seconds a member must wait between two videos (0: none)",
            max_videos_per_member="Videos one member may have generating at once (0: the bot's default)",
            max_videos_per_server="Videos this server may have generating at once (0: the bot's default)",
        )
        @app_commands.choices(default_model=models)
        async def settings(  # noqa: PLR0917 - discord.py maps command options to parameters
            interaction: discord.Interaction,
            allow_channel: discord.TextChannel | None = None,
            disallow_channel: discord.TextChannel | None = None,
            default_model: str | None = None,
            plain_messages_remix: bool | None = None,
            moderators_exempt: bool | None = None,
            mod_log_channel: discord.TextChannel | None = None,
            mod_log_off: bool | None = None,
            cooldown_seconds: app_commands.Range[int, 0, MAX_COOLDOWN] | None = None,
            max_videos_per_member: app_commands.Range[int, 0, MAX_AT_ONCE_PER_MEMBER] | None = None,
            max_videos_per_server: app_commands.Range[int, 0, MAX_AT_ONCE_PER_SERVER] | None = None,
        ) -> None:
            assert interaction.guild is not None
            guild = interaction.guild
            changes: dict[str, Any] = {}
            for name, value in (
                ("default_model", default_model),
                ("plain_messages_remix", plain_messages_remix),
                ("moderators_exempt", moderators_exempt),
                ("cooldown_seconds", cooldown_seconds),
            ):
                if value is not None:
                    changes[name] = value
            for name, value in (("max_jobs_per_user", max_videos_per_member),
                                ("max_jobs_per_guild", max_videos_per_server)):
                if value is not None:
                    changes[name] = value or None  # 0: back to the bot's default
            if mod_log_channel is not None and mod_log_off:
                raise BotError("Pick a moderator log channel or turn the log off, not both.")
            if mod_log_channel is not None:
                check_log_channel(guild, mod_log_channel.id)
                changes["mod_log_channel_id"] = mod_log_channel.id
            elif mod_log_off:
                changes["mod_log_channel_id"] = None
            allow = allow_channel.id if allow_channel else None
            disallow = disallow_channel.id if disallow_channel else None
            if not changes and allow is None and disallow is None:
                await reply(interaction, settings_text(await self.bot.moderation.settings(guild.id), self.bot.settings))
                return
            change = await self.bot.moderation.change_settings(
                guild.id, interaction.user.id, changes, allow_channel=allow, disallow_channel=disallow
            )
            await reply(interaction, settings_change_reply(change, self.bot.settings))
            if change.changed_fields:
                # The old log hears that it was moved or turned off; the new one hears it was turned on.
                old_log = change.before.mod_log_channel_id
                self.bot.modlog.change(
                    guild.id, settings_change_log(interaction.user.id, change, self.bot.settings),
                    also_channel_id=old_log,
                )

        return group


async def setup(bot: VideoBot) -> None:
    await bot.add_cog(SettingsCog(bot))
