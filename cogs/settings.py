"""/videobot settings for moderators: where videos may be made, defaults, exemptions, the moderator log."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_ui.moderation_render import settings_change_log, settings_change_reply, settings_text
from bot.discord_ui.moderators import ModeratorGroup, reply
from bot.discord_ui.permissions import check_log_channel
from bot.discord_ui.services import Services, services_of
from bot.quotas.moderation import SettingsEdit

NOT_ALLOWED = "Only members with Manage Server can change the bot's settings."
MAX_COOLDOWN = 86_400
MAX_AT_ONCE_PER_MEMBER = 20
MAX_AT_ONCE_PER_SERVER = 100


class SettingsCog(commands.Cog, name="Settings"):
    """The server's choices, changed inside Discord."""

    def __init__(self, bot: commands.Bot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.group = self._build_group()

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.group)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.group.name)

    def _build_group(self) -> ModeratorGroup:
        # Built per bot because the default-model choices come from its configuration.
        group = ModeratorGroup(name="videobot", description="The video bot's settings in this server",
                               refusal=NOT_ALLOWED)
        services = self.services
        provider = services.settings.provider
        models = [app_commands.Choice(name=provider.model(m).label, value=m) for m in services.settings.models]

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
            edit = SettingsEdit(
                allow_channel=allow_channel.id if allow_channel else None,
                disallow_channel=disallow_channel.id if disallow_channel else None,
                default_model=default_model, plain_messages_remix=plain_messages_remix,
                moderators_exempt=moderators_exempt, mod_log_channel=mod_log_channel.id if mod_log_channel else None,
                mod_log_off=mod_log_off, cooldown_seconds=cooldown_seconds,
                max_videos_per_member=max_videos_per_member, max_videos_per_server=max_videos_per_server,
            )
            if edit.is_empty:
                await reply(interaction, settings_text(await services.moderation.settings(guild.id), services.settings))
                return
            if mod_log_channel is not None:
                check_log_channel(guild, mod_log_channel.id)
            change = await services.moderation.edit_settings(guild.id, interaction.user.id, edit)
            await reply(interaction, settings_change_reply(change, services.settings))
            if change.changed_fields:
                # The old log hears that it was moved or turned off; the new one hears it was turned on.
                services.modlog.change(
                    guild.id, settings_change_log(interaction.user.id, change, services.settings),
                    also_channel_id=change.before.mod_log_channel_id,
                )

        return group


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(SettingsCog(bot, services_of(bot)))
