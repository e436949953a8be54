from rdkit import Chem
from rdkit.Chem import Draw

aspirin = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")
Draw.MolToFile(aspirin, "aspirin.png", size=(400, 400))
