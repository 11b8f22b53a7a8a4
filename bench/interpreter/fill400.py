# Filling a 400×400 list of lists element by element.
n = 400
W = [[0.0] * n for _ in range(n)]
for i in range(n):
    for j in range(n):
        W[i][j] = i + j
print(W[n - 1][n - 1])
