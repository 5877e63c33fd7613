process.stdout.write('mastercopy: not yet\n');
