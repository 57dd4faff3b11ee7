from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The signed-in home page: it gathers what each role needs from every app (top layer)."""

    name = "home"
    verbose_name = "Home"
