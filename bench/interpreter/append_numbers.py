# 20,000 numbers collected with list.append, then summed.
xs = []
for i in range(20000):
    xs.append(i * 0.5)
print(sum(xs))
