# 20,000 appends to a list, written the same way: xs = xs + [item].
xs = []
for i in range(20000):
    xs = xs + ["tok"]
print(len(xs))
