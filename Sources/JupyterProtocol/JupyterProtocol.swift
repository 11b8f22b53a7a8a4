// JupyterProtocol: implementation pending
