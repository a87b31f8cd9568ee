from django.core.management.commands import makemessages


class Command(makemessages.Command):
    """Django's makemessages, without msgmerge's fuzzy guesses: a new message starts untranslated,
    never with a neighbour's translation ("clé" is not "civilité")."""

    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
