"""Write a Sphinx intersphinx inventory for the Ansible docs labels our generated pages use.

antsibull-docs' module pages and guides link to labels of the Ansible documentation
(docs.ansible.com), which Sphinx resolves through intersphinx by downloading objects.inv. The
docs gate runs offline, so tools/gates/docs.sh points intersphinx at this small local inventory:
links still go to the real pages, and any other unresolved reference still fails the build.
Add a label here when a guide starts referring to a new one.

Usage: python docs_inventory.py <output file>
"""
import sys
import zlib

# label -> (page relative to https://docs.ansible.com/projects/ansible/devel/, anchor, title)
LABELS = {
    'ansible_configuration_settings': (
        'reference_appendices/config.html', 'ansible-configuration-settings', 'Ansible Configuration Settings'),
    'common_return_values': (
        'reference_appendices/common_return_values.html', 'common-return-values', 'Return Values'),
    'module_defaults': (
        'playbook_guide/playbooks_module_defaults.html', 'module-defaults', 'Module defaults'),
    'check_mode_dry': (
        'playbook_guide/playbooks_checkmode.html', 'check-mode-dry', 'Validating tasks: check mode and diff mode'),
    'intro_inventory': (
        'inventory_guide/intro_inventory.html', 'intro-inventory', 'How to build your inventory'),
    'playbooks_intro': (
        'playbook_guide/playbooks_intro.html', 'playbooks-intro', 'Ansible playbooks'),
    'collections_installing': (
        'collections_guide/collections_installing.html', 'collections-installing', 'Installing collections'),
    'collections_using_playbook': (
        'collections_guide/collections_using_playbooks.html', 'collections-using-playbook',
        'Using collections in a playbook'),
    'playbooks_strategies': (
        'playbook_guide/playbooks_strategies.html', 'playbooks-strategies',
        'Controlling playbook execution: strategies and more'),
    'encrypting_variables': (
        'vault_guide/vault_encrypting_content.html', 'encrypting-variables',
        'Encrypting individual variables with Ansible Vault'),
    # antsibull-docs links a module page to it when the module has an action plugin of the same name.
    'action_plugins': (
        'plugins/action.html', 'action-plugins', 'Action plugins'),
    'playbooks_environment': (
        'playbook_guide/playbooks_environment.html', 'playbooks-environment', 'Setting the remote environment'),
}


def main(path):
    lines = [
        '%s std:label -1 %s#%s %s\n' % (label, page, anchor, title)
        for label, (page, anchor, title) in sorted(LABELS.items())
    ]
    header = (
        '# Sphinx inventory version 2\n'
        '# Project: Ansible\n'
        '# Version: devel\n'
        '# The remainder of this file is compressed using zlib.\n'
    )
    with open(path, 'wb') as inventory:
        inventory.write(header.encode('utf-8'))
        inventory.write(zlib.compress(''.join(lines).encode('utf-8')))


if __name__ == '__main__':
    main(sys.argv[1])
