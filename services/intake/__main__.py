from services.cli.serve import serve

serve("intake")
