from welcomematch.cli import run

run()
