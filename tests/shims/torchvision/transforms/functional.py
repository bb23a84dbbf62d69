"""Names only; calling them is an error."""


def __getattr__(name):
    raise AttributeError(f'torchvision test shim has no {name}')
