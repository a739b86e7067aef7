from refundguard.cli.app import run

run()
