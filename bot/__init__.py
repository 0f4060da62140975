"""The Regiment: a Discord bot that runs an online coaching business's daily discipline."""
