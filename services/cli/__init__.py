"""The `sakusei` command: a subcommand group per user of the platform, speaking its gRPC API."""
from __future__ import annotations

import argparse
import os
import sys

import grpc

from services.cli import commands
from services.transform import cli as anonymize


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sakusei", description=__doc__)
    parser.add_argument("--token", default=None, help="bearer token (default: $SAKUSEI_TOKEN)")
    groups = parser.add_subparsers(dest="group", required=True)
    serve = groups.add_parser("serve", help="run one service in this process")
    serve.add_argument("service", choices=("intake", "review", "transform", "delivery"))
    groups.add_parser("demo", help="run the whole path once on embedded defaults")
    commands.add_token_group(groups)
    commands.add_municipality_group(groups)
    commands.add_business_group(groups)
    commands.add_reviewer_group(groups)
    commands.add_operator_group(groups)
    commands.add_auditor_group(groups)
    anonymize.register(groups)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.group == "serve":
        from services.cli.serve import serve

        serve(args.service)
        return 0
    if args.group == "demo":
        from services.cli.demo import main as demo

        return demo()
    if args.group == "token":
        return args.run(args)
    if args.group == "anonymize":
        return args.handler(args)
    token = args.token or os.environ.get("SAKUSEI_TOKEN")
    if not token:
        print("sakusei: a token is needed: --token or $SAKUSEI_TOKEN", file=sys.stderr)
        return 2
    try:
        return args.run(args, token)
    except grpc.RpcError as error:
        print(f"sakusei: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1

