"""`python -m onepagers` and the `onepagers` command both start here."""


def main() -> None:
    # Ctrl-C while the command line is still importing (Typer, rich) arrives
    # before cli.run's boundary exists: it ends the command the same way.
    try:
        from .cli import main as run_command
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    run_command()


if __name__ == "__main__":
    main()
