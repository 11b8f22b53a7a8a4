print("attention-kernel: under construction")
