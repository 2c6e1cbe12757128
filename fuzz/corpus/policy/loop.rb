p loop {  StopIteration }
